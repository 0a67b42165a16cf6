"""The transactional outbox: notifications written with the ticket change, delivered later."""
