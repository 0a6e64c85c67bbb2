-- The counter (staff console): finding an account by kana name or phone number,
-- the branch's locks in force, the supervisor role and unlock requests (役席承認).

-- The kana name as a search key, the same as server.policy.kana.search_key computes
-- for what the clerk types: NFKC (half-width to full-width), hiragana to katakana,
-- small kana to large, long-vowel dashes to ー, no spaces or ・. Written by the
-- database from name_kana, so every writer of accounts (the import, tests) keeps it.
ALTER TABLE account ADD COLUMN name_kana_key text GENERATED ALWAYS AS (
    regexp_replace(
        translate(
            translate(normalize(name_kana, NFKC),
                      'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖ',
                      'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶ'),
            'ァィゥェォッャュョヮヵヶ-‐‑−－',
            'アイウエオツヤユヨワカケーーーーー'),
        '[[:space:]・]', '', 'g')
) STORED;
-- Prefix search (ヤマダ finds ヤマダ タロウ) without a sequential scan.
CREATE INDEX IF NOT EXISTS account_name_kana_key ON account (name_kana_key text_pattern_ops, branch_code);
-- Registered numbers (E.164): "which account has this phone" by the array's GIN index.
CREATE INDEX IF NOT EXISTS account_phones ON account USING gin (phones);
-- The locks in force, whichever branch: few rows, found by when they lift.
CREATE INDEX IF NOT EXISTS account_failure_in_force ON account_failure (locked_until)
    WHERE cleared_at IS NULL AND locked_until IS NOT NULL;

-- 役席: a branch member who approves a clerk's request to lift a lock.
ALTER TABLE staff DROP CONSTRAINT IF EXISTS staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('branch', 'hq', 'supervisor'));

-- A clerk's request to lift a lock, where [staff] unlock_approval asks for a supervisor's approval.
CREATE TABLE unlock_request (
    id              bigserial PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES account,
    kind            text NOT NULL CHECK (kind IN ('identity', 'pin')),
    reason          text NOT NULL,
    requested_by    text NOT NULL REFERENCES staff,
    requested_at    timestamptz NOT NULL,
    lock_until      timestamptz NOT NULL,     -- the lock asked about lifts by itself then; the request with it
    state           text NOT NULL CHECK (state IN ('pending', 'lifted', 'lapsed')),
    decided_by      text REFERENCES staff,
    decided_at      timestamptz,
    decision_note   text,
    CHECK (state <> 'pending' OR decided_by IS NULL),
    CHECK (decided_by IS DISTINCT FROM requested_by)
);
-- One request waiting per lock: a second clerk sees the first instead of adding another.
CREATE UNIQUE INDEX unlock_request_one_pending ON unlock_request (account_id, kind) WHERE state = 'pending';
CREATE INDEX unlock_request_pending ON unlock_request (requested_at) WHERE state = 'pending';
