-- 0006: a funding call's title is a language map, like the record's
-- texts. A title stored as a plain string becomes {lang: title}, lang
-- being the record's first language, else its name's first, else en (the
-- rule commons.Record.Normalize applies to a string read from a peer or an
-- old client). Records and the versions kept in their history change; the
-- signed documents of remote records stay as their origin signed them.
-- (json() keeps the new array JSON: a subquery's value loses its subtype.)
UPDATE records SET doc = json_set(doc, '$.funding.calls', json((
	SELECT json_group_array(
		CASE WHEN json_type(c.value, '$.title') = 'text'
		THEN json_set(c.value, '$.title', json_object(
			coalesce(json_extract(records.doc, '$.languages[0]'),
				(SELECT n.key FROM json_each(records.doc, '$.name') AS n ORDER BY n.key LIMIT 1), 'en'),
			json_extract(c.value, '$.title')))
		ELSE json(c.value) END
		ORDER BY c.key)
	FROM json_each(records.doc, '$.funding.calls') AS c)))
WHERE EXISTS (SELECT 1 FROM json_each(records.doc, '$.funding.calls') AS c WHERE json_type(c.value, '$.title') = 'text');

UPDATE record_history SET previous = json_set(previous, '$.funding.calls', json((
	SELECT json_group_array(
		CASE WHEN json_type(c.value, '$.title') = 'text'
		THEN json_set(c.value, '$.title', json_object(
			coalesce(json_extract(record_history.previous, '$.languages[0]'),
				(SELECT n.key FROM json_each(record_history.previous, '$.name') AS n ORDER BY n.key LIMIT 1), 'en'),
			json_extract(c.value, '$.title')))
		ELSE json(c.value) END
		ORDER BY c.key)
	FROM json_each(record_history.previous, '$.funding.calls') AS c)))
WHERE previous IS NOT NULL
	AND EXISTS (SELECT 1 FROM json_each(record_history.previous, '$.funding.calls') AS c WHERE json_type(c.value, '$.title') = 'text');
