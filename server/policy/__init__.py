"""Pure policy: functions of their inputs and ``now``; no I/O, no clock, no database."""
