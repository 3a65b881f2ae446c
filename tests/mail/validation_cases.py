"""What the template validation tests share: a valid body, and the problems a save reports."""

import pytest

from apps.mail.exceptions import TemplateInvalidError
from apps.mail.models import EmailTemplate
from apps.mail.services import template_save

GOOD = """<mj-section>
  <mj-column>
    <mj-text css-class="em-text">Hello {{ name }}</mj-text>
  </mj-column>
</mj-section>
"""


def problems_of(templates, **changes) -> list:
    template = EmailTemplate.objects.get(key="welcome")
    for name, value in changes.items():
        setattr(template, name, value)
    with pytest.raises(TemplateInvalidError) as caught:
        template_save(template=template)
    return caught.value.problems


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]
