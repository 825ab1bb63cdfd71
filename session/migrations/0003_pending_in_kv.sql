-- Pending logins are key-value records now (`kv`, under the hash of
-- "pending:{state}"), like every other short-lived shared record. Logins in
-- flight during the upgrade are the only loss: they are single-use and live
-- ten minutes.

DROP TABLE IF EXISTS pending_logins;
