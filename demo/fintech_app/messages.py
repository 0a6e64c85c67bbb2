"""What the app tells the customer when linking did not work: in plain Japanese, with what to do next.

Keys are the OAuth error codes Renkei sends back (RFC 6749 §4.1.2.1, §5.2), the bank's reason
codes (should one arrive in ``error_description``), and the app's own situations. A customer
who presses アプリに戻る on a lock page comes back with ``access_denied`` and a description
that names the lock: not a cancellation, so the app says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AGAIN = "もう一度連携する場合は、「口座を連携する」から操作してください。"
CALL_BANK = "お取引の金融機関のお問合せ窓口へご照会ください。"
ASK_BANK = "詳しくは、" + CALL_BANK


@dataclass(frozen=True)
class Problem:
    title: str
    advice: str
    retry: bool = True  # whether 口座を連携する is offered again


PROBLEMS = {
    "access_denied": Problem("連携がキャンセルされました", "口座の連携は行われていません。" + AGAIN),
    "temporarily_unavailable": Problem("ただ今、金融機関の連携サービスはお休みしています",
                                       "メンテナンスまたは混雑のため、ただ今ご利用いただけません。しばらく時間をおいてから、もう一度お試しください。"),
    "locked": Problem("本日はこの口座を連携できません",
                      "本人確認の誤りが規定回数に達したなどの理由で、金融機関が本日の連携を止めています。"
                      "翌日以降にもう一度お試しいただくか、" + CALL_BANK),
    "expired": Problem("連携の手続きの有効期限が切れました", "時間が経ったため、手続きを最初からやり直す必要があります。" + AGAIN),
    "link_ended": Problem("口座の連携が終了しています",
                          "連携の解除、有効期限(最長90日)、または口座の変更により、連携が終了しました。" + AGAIN),
    "mismatch": Problem("連携を完了できませんでした",
                        "安全のため、この応答は受け付けませんでした(別の画面で始めた手続きの可能性があります)。" + AGAIN),
    "unreachable": Problem("金融機関に接続できませんでした", "通信状態をご確認のうえ、しばらくしてからもう一度お試しください。"),
    # The bank's reason codes (contract §3), when a flow ended on its screens.
    "B81": Problem("この口座は連携できません", "ご指定の口座は本サービスではお取り扱いできません(キャッシュカードのない口座、解約済みの口座など)。" + ASK_BANK),
    "B83": Problem("本人確認ができなかったため、本日は連携できません",
                   "本人認証情報の誤りが規定回数に達しました。翌日以降にもう一度お試しいただくか、" + CALL_BANK),
    "B84": Problem("ただ今この口座は連携できません", "口座の連携が一時的に停止されています。翌日以降にお試しいただくか、" + CALL_BANK),
    "B85": Problem("電話番号認証の有効時間(120秒)を過ぎました", AGAIN),
    "B88": Problem("暗証番号の誤りが規定回数に達しました", "本日はこの口座を連携できません。翌日以降にもう一度お試しいただくか、" + CALL_BANK),
    "B89": Problem("ご指定の口座は移管されました", "新しいお取引店・口座番号で、もう一度「口座を連携する」から操作してください。"),
    "S01": Problem("ただ今の時間はサービスを行っておりません", "金融機関のサービス時間外です。時間をおいてから、もう一度お試しください。"),
    "S03": Problem("金融機関のシステムが調整中です", "しばらくしてから、もう一度お試しください。" + ASK_BANK),
}
OTHER = Problem("連携できませんでした", "時間をおいてもう一度お試しください。解決しない場合は、アプリのお問合せ窓口にご連絡ください。")

_REASON_CODE = re.compile(r"\b([BS]\d\d)\b")


def problem_for(error: str, description: str = "") -> tuple[Problem, str]:
    """(what to show, the code to quote to a help desk) for an error and its description."""
    reason = _REASON_CODE.search(description or "")
    if reason and reason.group(1) in PROBLEMS:
        return PROBLEMS[reason.group(1)], reason.group(1)
    if error == "access_denied" and "lock" in (description or ""):  # アプリに戻る from a lock page (B83, B84, B88)
        return PROBLEMS["locked"], "locked"
    if error in ("invalid_grant", "expired"):
        return PROBLEMS["expired"], error
    return PROBLEMS.get(error, OTHER), error
