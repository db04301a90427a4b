"""Delivery: who gets a document, the e-mail that carries it, the transports and the sent ledger.

Flow of one delivery (``service.plan`` then ``service.deliver``):
1. resolve the recipients for the document kind from config (never from data files);
2. compose one message per recipient with a deterministic Message-ID per
   (document, version, recipient);
3. leave out recipients the ledger already has as sent for this version (unless --resend);
4. send each remaining message (outbox or SMTP), retrying transient failures with backoff;
5. record every attempt and its result in the ledger.
"""
