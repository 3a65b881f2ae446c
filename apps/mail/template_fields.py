"""The fields of an email template that staff write, named once for every list of them."""

# What each language has its own of: a translation's fields.
TRANSLATION_FIELDS = ["subject", "preheader", "mjml", "text_body"]
# What a template's languages share: the declared variables and the sample data.
DATA_FIELDS = ["variables", "sample_context"]
# What a shipped default sets on a template (its key and layout are set apart).
TEMPLATE_FIELDS = ["name", "category", *TRANSLATION_FIELDS, *DATA_FIELDS]
