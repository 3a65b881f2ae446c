import email

import pytest
from django.core.mail import EmailMultiAlternatives

from apps.mail.backends import EmlFileBackend


@pytest.mark.embedded
def test_the_embedded_backend_writes_each_message_as_an_eml_file_a_mail_client_opens(tmp_path):
    message = EmailMultiAlternatives(
        "Welcome", "plain body", "from@example.com", ["ada@example.com"]
    )
    message.attach_alternative("<p>html body</p>", "text/html")
    sent = EmlFileBackend(outbox_dir=tmp_path / "outbox").send_messages([message, message])
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert sent == 2 and len(files) == 2
    parsed = email.message_from_bytes(files[0].read_bytes())
    assert parsed["Subject"] == "Welcome" and parsed["To"] == "ada@example.com"
    assert [part.get_content_type() for part in parsed.walk()][1:] == ["text/plain", "text/html"]
