-- Every server process remembers the clients it has authenticated (server.oauth.client_cache);
-- any change to a client's row, whoever makes it, tells them all to forget it.
CREATE FUNCTION oauth_client_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('renkei_client', '*');
        RETURN NULL;
    END IF;
    PERFORM pg_notify('renkei_client', OLD.client_id);
    IF TG_OP = 'UPDATE' AND NEW.client_id <> OLD.client_id THEN
        PERFORM pg_notify('renkei_client', NEW.client_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER oauth_client_changed AFTER UPDATE OR DELETE ON oauth_client
    FOR EACH ROW EXECUTE FUNCTION oauth_client_changed();
CREATE TRIGGER oauth_client_truncated AFTER TRUNCATE ON oauth_client
    FOR EACH STATEMENT EXECUTE FUNCTION oauth_client_changed();
