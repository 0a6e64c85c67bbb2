-- Screen ④ says at once why a call did not count, and may show a new number after 120 s.

-- The last call to this check's number that could not count: from a number not
-- registered for the account, or with the number withheld (the screen says what to do).
ALTER TABLE phone_check
    ADD COLUMN refused_call text CHECK (refused_call IN ('unregistered', 'withheld')),
    ADD COLUMN refused_at   timestamptz;

-- Auth numbers drawn since the flow last passed screen ② (capped: [policy] phone_number_draws).
ALTER TABLE flow ADD COLUMN number_draws integer NOT NULL DEFAULT 0;
