"""Balances and 入出金明細 for every demo account (server/demo_customers.csv), the same on every start.

A real bank API reads these from the core-banking system; the demo draws them from a
random generator seeded with the account, so a customer sees the same statement each time.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta

from server.demo import DEMO_CUSTOMERS  # the accounts `renkei seed-demo` loads
ACCOUNT_TYPES = {"1": "普通", "4": "貯蓄"}

# (description, smallest, largest amount in yen; negative = 出金)
MOVEMENTS = [("給与振込", 180_000, 320_000), ("電気料金", -12_000, -4_000), ("ガス料金", -8_000, -2_500),
             ("携帯電話料金", -9_000, -3_000), ("カード利用代金", -60_000, -8_000), ("ATM引出", -50_000, -10_000),
             ("振込 ヤマダ ハナコ", -30_000, -5_000), ("利息", 1, 30), ("水道料金", -6_000, -2_000)]


@dataclass(frozen=True)
class Transaction:
    date: date
    description: str
    amount: int  # yen; negative for 出金
    balance: int  # after this transaction


@dataclass(frozen=True)
class Account:
    key: str  # BBB-T-NNNNNNN, as Renkei's introspection names it
    type_name: str
    opening_balance: int
    transactions: tuple[Transaction, ...]

    @property
    def balance(self) -> int:
        return self.transactions[-1].balance if self.transactions else self.opening_balance

    @property
    def masked_number(self) -> str:
        """The number as an app may show it: the last three digits."""
        branch, _, number = self.key.split("-")
        return f"{branch}-****{number[-3:]}"


def seeded_account(key: str, today: date) -> Account:
    rng = random.Random(key)
    balance = rng.randrange(50_000, 2_000_000)
    opening, movements = balance, []
    day = today - timedelta(days=60)
    for _ in range(12):
        day += timedelta(days=rng.randrange(2, 6))
        description, low, high = rng.choice(MOVEMENTS)
        amount = rng.randint(low, high) // 10 * 10 or 1
        balance += amount
        movements.append(Transaction(min(day, today), description, amount, balance))
    return Account(key, ACCOUNT_TYPES[key.split("-")[1]], opening, tuple(movements))


def demo_ledger(today: date) -> dict[str, Account]:
    """Every demo account, by its key."""
    with DEMO_CUSTOMERS.open(encoding="utf-8") as rows:
        keys = [f"{row['branch_code']}-{row['account_type']}-{row['account_number']}" for row in csv.DictReader(rows)]
    return {key: seeded_account(key, today) for key in keys}
