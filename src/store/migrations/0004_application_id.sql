-- Reckon's store, version 4: the file says it is Reckon's. `PRAGMA application_id` (offset 68 of
-- the SQLite header) holds `store::APPLICATION_ID` ("RCKN"), so Reckon recognises its own
-- databases and refuses to add its tables to another application's file. Never edit once
-- shipped.
PRAGMA application_id = 1380141902;
