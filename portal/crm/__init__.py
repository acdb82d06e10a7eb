"""Bitrix24: the REST client, the outbox and its sync jobs, the inbound event webhook."""
