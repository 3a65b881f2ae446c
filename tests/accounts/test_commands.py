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


@pytest.mark.django_db
def test_running_ensure_admin_again_keeps_the_hash_so_the_session_stays_logged_in(
    client, monkeypatch, capsys
):
    monkeypatch.delenv("ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")  # the first `make run`
    email, password = capsys.readouterr().out.split("Admin login: ")[1].split("  (")[0].split(" / ")
    assert client.login(email=email, password=password)
    hashed = User.objects.get(email=email).password
    call_command("ensure_admin")  # the next `make run`
    assert User.objects.get(email=email).password == hashed
    assert client.get("/admin/").status_code == 200  # still logged in


@pytest.mark.django_db
def test_a_password_changed_in_the_console_survives_ensure_admin(client, monkeypatch, capsys):
    monkeypatch.delenv("ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    user = User.objects.get(email="admin@summasaas.local")
    user.set_password("changed-in-the-console-7")
    user.save()
    capsys.readouterr()
    call_command("ensure_admin")
    assert "(the password set in the console)" in capsys.readouterr().out
    assert client.login(email=user.email, password="changed-in-the-console-7")


@pytest.mark.django_db
def test_admin_password_from_the_environment_is_set_only_when_it_differs(client, monkeypatch):
    monkeypatch.setenv("ADMIN_EMAIL", "ops@example.com")
    monkeypatch.setenv("ADMIN_PASSWORD", "chosen-password-9")
    call_command("ensure_admin")
    hashed = User.objects.get(email="ops@example.com").password
    call_command("ensure_admin")
    assert User.objects.get(email="ops@example.com").password == hashed
    monkeypatch.setenv("ADMIN_PASSWORD", "another-password-10")
    call_command("ensure_admin")
    assert client.login(email="ops@example.com", password="another-password-10")
