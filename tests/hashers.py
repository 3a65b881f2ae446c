"""The password hasher of the test run: Django's own PBKDF2 at 1,000 iterations.

The default's 1.5 million take 0.55 s a hash on this machine, paid for every user a test makes
and every login (pytest-django's `admin_client` pays twice), while no test measures the hash's
strength. The algorithm keeps its name, and a PBKDF2 hash carries its own iteration count, so
a server process the tests start (gunicorn, a consumer: the project's own settings) still
checks these passwords, and re-hashes them at full strength on the first login.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1_000
