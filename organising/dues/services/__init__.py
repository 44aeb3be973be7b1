"""Every write about dues, and every rule. Views, the API and tasks call these; none
writes to the dues models directly. Each service is atomic and records an audit row
in the same transaction; e-mails leave only after the commit."""

from .base import IdempotencyConflict, cents_str, parse_euros
from .declared import (
    declared_payment_confirm,
    declared_payment_create,
    declared_payment_reject,
)
from .imports import (
    import_cancel,
    import_confirm,
    import_confirm_start,
    import_create,
    member_reference,
)
from .ledger import (
    Recorded,
    balances_refresh,
    charge_correct,
    charges_issue,
    declaration_set,
    entry_reverse,
    exemption_end,
    exemption_grant,
    expected_cents,
    payment_record,
)
from .receipts import (
    postal_address_set,
    receipt_issue,
    receipt_pdf,
    receipts_issue_for_unit,
    receipts_zip,
)
from .reminders import reminders_send, treasurer_summaries_send
from .schedules import BracketSpec, ReducedSpec, schedule_create
from .sepa import (
    debit_batch_create,
    debit_return,
    debits_collect,
    mandate_create,
    mandate_revoke,
)

__all__ = [
    "BracketSpec",
    "IdempotencyConflict",
    "Recorded",
    "ReducedSpec",
    "balances_refresh",
    "cents_str",
    "charge_correct",
    "charges_issue",
    "debit_batch_create",
    "debit_return",
    "debits_collect",
    "declaration_set",
    "declared_payment_confirm",
    "declared_payment_create",
    "declared_payment_reject",
    "entry_reverse",
    "exemption_end",
    "exemption_grant",
    "expected_cents",
    "import_cancel",
    "import_confirm",
    "import_confirm_start",
    "import_create",
    "mandate_create",
    "mandate_revoke",
    "member_reference",
    "parse_euros",
    "payment_record",
    "postal_address_set",
    "receipt_issue",
    "receipt_pdf",
    "receipts_issue_for_unit",
    "receipts_zip",
    "reminders_send",
    "schedule_create",
    "treasurer_summaries_send",
]
