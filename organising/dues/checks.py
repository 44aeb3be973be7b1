"""System checks of the dues settings: a wrong creditor identifier or IBAN would
produce files the bank refuses (or debits paid to the wrong account)."""

from django.core.checks import Error, register


@register("dues")
def sepa_creditor_check(app_configs=None, **kwargs) -> list[Error]:
    from .services.sepa import creditor_problems

    return [
        Error(problem, hint="Fix the DUES_SEPA_CREDITOR_* settings.", id="dues.E001")
        for problem in creditor_problems()
    ]
