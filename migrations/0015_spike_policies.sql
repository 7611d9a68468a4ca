-- A budget's policy may also act when a spend spike starts on a key it
-- covers (docs/policies.md): the same action, claimed once per budget, key
-- and period like the others (key_actions_once), restored at the reset.
ALTER TABLE budgets ADD COLUMN action_on_spike INTEGER NOT NULL DEFAULT 0
    CHECK (action_on_spike IN (0, 1));
