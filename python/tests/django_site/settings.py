"""A Django project with real users, for mizan_django's own tests
(`tests/test_django.py`): SQLite in a temporary file (MIZAN_TEST_DB)."""

import os

SECRET_KEY = "mizan-django-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "channels",
    "mizan_django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "django_site.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("MIZAN_TEST_DB", ":memory:")}}
USE_TZ = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MIZAN = {"REGISTRY": "django_site.functions:registry", "MWT_SECRET": "django-tests-mwt-secret-0123456789abcdef"}
