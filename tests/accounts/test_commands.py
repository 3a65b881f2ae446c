import pytest
from django.core.management import call_command

from apps.accounts.models import User


@pytest.mark.embedded
@pytest.mark.django_db
def test_ensure_admin_prints_a_login_that_works_and_keeps_it_across_runs(
    client, capsys, monkeypatch
):
    monkeypatch.delenv("ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    first = capsys.readouterr().out
    call_command("ensure_admin")
    assert capsys.readouterr().out == first
    email, password = first.split("Admin login: ")[1].split("  (")[0].split(" / ")
    assert client.login(email=email, password=password)
    assert User.objects.get(email=email).is_superuser


@pytest.mark.django_db
def test_ensure_admin_takes_the_login_from_the_environment(client, monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_EMAIL", "ops@example.com")
    monkeypatch.setenv("ADMIN_PASSWORD", "chosen-password-9")
    call_command("ensure_admin")
    assert "ops@example.com / chosen-password-9" in capsys.readouterr().out
    assert client.login(email="ops@example.com", password="chosen-password-9")
