"""The local extractive stand-in: deterministic, one shape per mode, pluggable by setting."""

import urllib.request

import pytest

from apps.billing.models import UsageRecord
from apps.summaries.models import SummarizationRequest
from apps.summaries.services import summarize_text, summary_request
from apps.summaries.summarizers import LocalExtractiveSummarizer, split_sentences
from tests.factories import make_organization, make_plan

TEXT = (
    "Redis keeps the queue. The queue feeds the workers. Workers send the email. "
    "Cats are unrelated. The email reaches the queue of the provider."
)


class Broken:
    name = "broken"

    def summarize(self, *, text, mode):
        raise RuntimeError("provider down")


class Shouting:
    name = "shouting"

    def summarize(self, *, text, mode):
        return text.upper()


def test_the_same_text_and_mode_always_give_the_same_summary():
    runs = {summarize_text(text=TEXT, mode="detailed") for _ in range(5)}
    assert len(runs) == 1


def test_each_mode_has_its_shape_and_picks_the_representative_sentences():
    engine = LocalExtractiveSummarizer()
    brief = engine.summarize(text=TEXT, mode="brief")
    assert "Cats are unrelated." not in brief and brief.count(".") == 2
    assert engine.summarize(text=TEXT, mode="bullet_points").count("• ") == 5
    executive = engine.summarize(text=TEXT, mode="executive").splitlines()
    assert executive[0].startswith("Bottom line: ") and executive[1] == "Key points:"
    assert engine.summarize(text="", mode="brief") == ""
    assert split_sentences("One.\n\n- two\n- three") == ["One.", "two", "three"]


@pytest.mark.django_db
def test_the_setting_picks_the_engine_and_a_failing_engine_refunds_the_characters(settings):
    organization = make_organization(plan=make_plan(characters=10_000))
    settings.SUMMARIZER = "tests.summaries.test_summarizers.Shouting"
    done = summary_request(organization=organization, user=None, mode="brief", text="quiet")
    assert done.summary == "QUIET"
    settings.SUMMARIZER = "tests.summaries.test_summarizers.Broken"
    failed = summary_request(organization=organization, user=None, mode="brief", text="x" * 40)
    assert failed.status == "failed" and "RuntimeError" in failed.error
    assert UsageRecord.objects.get(organization=organization).characters_used == len("quiet")


@pytest.mark.django_db
@pytest.mark.parametrize("stored_files", ["local", "s3"], indirect=True)
def test_a_long_summary_lives_in_storage_and_reads_back_through_a_signed_url(
    stored_files, settings, client
):
    settings.SUMMARY_INLINE_MAX_CHARS = 40
    settings.SUMMARIZER = "tests.summaries.test_summarizers.Shouting"
    organization = make_organization(plan=make_plan(characters=10_000))
    request = summary_request(organization=organization, user=None, mode="brief", text=TEXT)
    assert request.summary == "" and request.summary_file.name.startswith("summaries/")
    assert stored_files.names() == {request.summary_file.name}
    from apps.api.files import signed_file_url

    name = request.summary_file.name
    url = signed_file_url(name=name, filename="s.txt", content_type="text/plain")
    if "Signature=" in url:
        body = urllib.request.urlopen(url, timeout=10).read()
    else:
        body = b"".join(client.get(url.removeprefix(settings.SITE_URL)).streaming_content)
    assert body.decode() == TEXT.upper()
    assert SummarizationRequest.objects.get().output_characters == len(TEXT)
