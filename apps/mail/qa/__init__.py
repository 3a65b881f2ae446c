"""Email QA: what a reviewer checks before an email goes out, for one rendered email.

`check.check_email(email)` runs every area; the studio's checks panel and `manage.py email_qa`
both call it.

- client support (`features` with `feature_map`, `caniemail`, `clients`): which HTML and CSS
  features each client lacks, and whether the email degrades well there;
- links (`links`, `landing`): every link read on sight and followed as its recipient, signed
  out and in; the buttons' fallbacks for Outlook on Windows;
- contrast (`modes`, `styles`, `contrast`): WCAG AA of every text run in light, own dark and
  forced dark;
- accessibility (`accessibility`): lang and dir, layout tables, alt text, headings, link text,
  the plain-text part;
- spam (`spam`; in the studio `background` and `tasks`, on a consumer): SpamAssassin's local
  rules on the whole message;
- size (`size`): bytes against Gmail's 102 KB clip.

`directives` reads what a template tells the QA in MJML comments (`qa-accept`,
`qa-recipient`); `emails` picks the active versions to check; `report` writes the handoff.
"""
