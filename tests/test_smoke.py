"""End to end on the small acme store: structured, semantic and hybrid SQL."""


def test_structured_and_semantic(acme):
    assert acme.sql("SELECT count(*) FROM customers").rows[0][0] == 60
    rows = acme.sql("SELECT ticket_id, topic, similarity(body, 'we were charged twice, please refund') AS s "
                    "FROM tickets ORDER BY s DESC LIMIT 5").rows
    assert len(rows) == 5
    assert sum(r[1] in ("refund", "billing_dispute") for r in rows) >= 4
    scores = [r[2] for r in rows]
    assert scores == sorted(scores, reverse=True)
