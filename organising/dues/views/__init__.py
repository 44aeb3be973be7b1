"""Dues pages: the member's own dues (`member`), the treasurer's screens
(`treasurer`: members and their standing, recording and correcting payments,
declared payments), imports, direct debits (`sepa`), reports and receipts, and the
schedules. Each view parses input, fetches through the policy module, calls one
service, and renders or redirects; `common` holds what they share."""
