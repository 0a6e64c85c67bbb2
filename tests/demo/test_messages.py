"""What テスト家計簿アプリ tells the customer for each way linking can end, in plain Japanese."""

from __future__ import annotations

import pytest

from demo.fintech_app.messages import problem_for


@pytest.mark.parametrize(
    ("error", "description", "title", "code"),
    [
        ("access_denied", "the customer did not allow the link", "連携がキャンセルされました", "access_denied"),
        ("access_denied", "the customer cannot authenticate today (a lock is in force)", "本日はこの口座を連携できません", "locked"),
        ("temporarily_unavailable", "the service could not continue (maintenance, overload or a system error)",
         "ただ今、金融機関の連携サービスはお休みしています", "temporarily_unavailable"),
        ("invalid_grant", "the code has expired", "連携の手続きの有効期限が切れました", "invalid_grant"),
        ("access_denied", "flow ended: B89", "ご指定の口座は移管されました", "B89"),
        ("server_error", "", "連携できませんでした", "server_error"),
    ],
    ids=["refused at ⑥", "a lock page's アプリに戻る", "a maintenance window", "an expired code", "a reason code",
         "anything else"],
)
def test_each_ending_is_explained_with_what_to_do(error, description, title, code):
    problem, shown_code = problem_for(error, description)
    assert (problem.title, shown_code) == (title, code)
    assert problem.advice.endswith("。")
