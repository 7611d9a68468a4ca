-- Deleting an organisation (README, "Teams") checks that it is nobody's
-- personal organisation, and the delete sets `users.personal_org_id` of
-- such a person to NULL through its foreign key: both look that column
-- up, which without an index reads every person.
CREATE INDEX users_personal_org ON users (personal_org_id);
