from django import forms


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Key name", max_length=100, help_text="Where it is used, e.g. 'production server'."
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if "\x00" in name:
            raise forms.ValidationError("The name cannot contain a NUL character.")
        return name


class DocumentForm(forms.Form):
    file = forms.FileField(
        label="Document", help_text="UTF-8 text, Markdown, HTML, PDF or Word .docx."
    )
