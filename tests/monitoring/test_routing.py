"""Routing per the duty table (workflow.md §3): every signal names the departments concerned by
their duty-table codes, and each is the department that supplies the figures the signal reads
(land signals: natural resources, and commerce as the spec adds)."""

from mujun.monitoring.routing import ROUTES
from mujun.monitoring.signals import DEPARTMENT, SIGNALS, department_figures
from mujun.policy.duties import department


def test_every_signal_is_routed_to_departments_of_the_duty_table() -> None:
    assert set(ROUTES) == set(SIGNALS)
    for signal, codes in ROUTES.items():
        assert all(department(code) is not None for code in codes), signal
        assert (codes == ()) == (SIGNALS[signal].subject_type == DEPARTMENT), signal


def test_a_monthly_signal_goes_to_the_department_that_sends_its_figures() -> None:
    for signal in SIGNALS.values():
        if signal.subject_type == DEPARTMENT or not signal.monthly:
            continue
        suppliers = {
            code
            for code, columns in department_figures().items()
            if set(signal.monthly) & set(columns)
        }
        assert set(ROUTES[signal.id]) == suppliers, signal.id


def test_the_departments_watched_for_missing_feeds() -> None:
    assert department_figures() == {
        "finance_regulator": ("loan_balance_yuan", "loan_overdue"),
        "tax": ("invoiced_sales_yuan", "tax_yuan"),
        "power": ("electricity_kwh", "peak_load_kw"),
    }
