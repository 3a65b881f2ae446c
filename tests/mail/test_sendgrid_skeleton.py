"""SendGrid's batch content (apps/mail/providers/sendgrid.skeleton): what the batch's bodies
share is sent once and each recipient's own parts travel as substitutions; whatever the
bodies, every recipient gets back exactly their own."""

from hypothesis import example, given
from hypothesis import strategies as st

from apps.mail.providers.sendgrid import skeleton
from tests.strategies import hostile_text

TAG = "-sgt0c0s"
# Bodies as a layout makes them: shared markup and words, a few places each recipient fills.
word = st.sampled_from(["<td>", "</td>", "<p>", "</p>", " ", "\n", "same", "words", "0"])
common = st.lists(word, min_size=0, max_size=40).map("".join)
own = st.one_of(st.text(max_size=12), hostile_text(), st.sampled_from(["", " ", "<b>", TAG]))


@st.composite
def bodies(draw) -> list[str]:
    parts = draw(st.lists(common, min_size=1, max_size=6))
    people = draw(st.integers(min_value=1, max_value=6))
    return ["".join(p + draw(own) for p in parts) for _ in range(people)]


def rebuilt(shared: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        shared = shared.replace(name, value, 1)
    return shared


@given(bodies())
@example(["Usage: 5 < 6 ", "Usage: 7 < 8 "])  # a text body: a "<" once went missing
@example(["<"])
def test_every_recipient_gets_back_exactly_their_own_body(texts):
    shared, values = skeleton(texts, tag=TAG)
    for text, own_values in zip(texts, values, strict=True):
        assert rebuilt(shared, own_values) == text


def test_a_batch_of_near_identical_bodies_shares_all_but_the_names():
    texts = [f"<p>Hi {n}</p>" + "<td>same</td>" * 300 + f"<a href='/u/{n}'>x</a>" for n in "ABC"]
    shared, values = skeleton(texts, tag="-t")
    assert shared.count("-t") == 2 and len(shared) < len(texts[0])
    assert [sorted(v.values()) for v in values] == [[f"<a href='/u/{n}'>", n] for n in "ABC"]
