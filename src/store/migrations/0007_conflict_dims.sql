-- Reckon's store, version 7: a conflicting version's first two dimensions were named for
-- Reverie's (character, model), though they hold whatever dimensions the chain's source
-- declares first and second; they take the names the third and fourth already have. Never
-- edit once shipped.

ALTER TABLE conflict RENAME COLUMN character_id TO dim1_id;
ALTER TABLE conflict RENAME COLUMN model_id TO dim2_id;
