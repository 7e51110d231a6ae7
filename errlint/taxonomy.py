"""Which exception types are infrastructure failures, which are user errors, which are broad.

Used to tell a database outage from bad input: XH404 (leak to clients is fine for 4xx user
errors), XH603 (retrying a user error never heals), XH604 (one handler for both). Users extend the
lists with `infrastructure-exceptions` and `user-error-exceptions` in `[tool.errlint]`.
Names are matched on the qualified name (through imports) and, for dotted entries, on the last
segments as written (`exc.OperationalError` matches `sqlalchemy.exc.OperationalError`).
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable

from errlint.config import Config


class Kind(str, Enum):
    INFRASTRUCTURE = "infrastructure"
    USER_ERROR = "user-error"
    BROAD = "broad"
    OTHER = "other"


INFRASTRUCTURE_TYPES: frozenset[str] = frozenset(
    {
        # builtins: the OSError family
        "OSError", "IOError", "EnvironmentError", "ConnectionError", "ConnectionRefusedError",
        "ConnectionResetError", "ConnectionAbortedError", "BrokenPipeError", "TimeoutError",
        "InterruptedError", "BlockingIOError",
        # stdlib
        "socket.error", "socket.timeout", "socket.gaierror", "socket.herror", "ssl.SSLError",
        "ssl.SSLZeroReturnError", "ssl.SSLEOFError", "ssl.SSLCertVerificationError",
        "urllib.error.URLError", "http.client.HTTPException", "http.client.RemoteDisconnected",
        "smtplib.SMTPException", "smtplib.SMTPServerDisconnected", "ftplib.Error",
        "asyncio.TimeoutError", "concurrent.futures.TimeoutError", "subprocess.TimeoutExpired",
        # HTTP clients
        "requests.ConnectionError", "requests.Timeout", "requests.exceptions.ConnectionError",
        "requests.exceptions.Timeout", "requests.exceptions.ConnectTimeout",
        "requests.exceptions.ReadTimeout", "requests.exceptions.RequestException",
        "requests.RequestException", "requests.exceptions.HTTPError", "requests.HTTPError",
        "urllib3.exceptions.HTTPError", "urllib3.exceptions.MaxRetryError",
        "urllib3.exceptions.NewConnectionError", "httpx.TransportError", "httpx.TimeoutException",
        "httpx.ConnectError", "httpx.ReadTimeout", "httpx.NetworkError", "httpx.HTTPError",
        "httpx.RequestError", "httpx.HTTPStatusError", "aiohttp.ClientError",
        "aiohttp.ClientConnectionError", "aiohttp.ClientConnectorError", "aiohttp.ServerTimeoutError",
        # databases, caches, queues, clouds
        "sqlalchemy.exc.OperationalError", "sqlalchemy.exc.DBAPIError", "sqlalchemy.exc.DisconnectionError",
        "sqlalchemy.exc.TimeoutError", "sqlalchemy.exc.InterfaceError", "django.db.OperationalError",
        "django.db.utils.OperationalError", "django.db.InterfaceError", "django.db.DatabaseError",
        "psycopg2.OperationalError", "psycopg2.InterfaceError", "psycopg.OperationalError",
        "pymysql.err.OperationalError", "MySQLdb.OperationalError", "sqlite3.OperationalError",
        "redis.ConnectionError", "redis.TimeoutError", "redis.exceptions.ConnectionError",
        "redis.exceptions.TimeoutError", "redis.exceptions.BusyLoadingError",
        "pymongo.errors.ConnectionFailure", "pymongo.errors.ServerSelectionTimeoutError",
        "kombu.exceptions.OperationalError", "amqp.exceptions.ConnectionError",
        "botocore.exceptions.EndpointConnectionError", "botocore.exceptions.ConnectTimeoutError",
        "botocore.exceptions.ReadTimeoutError", "botocore.exceptions.ClientError",
        "botocore.exceptions.BotoCoreError", "grpc.RpcError", "elasticsearch.ConnectionError",
        "elasticsearch.exceptions.ConnectionError", "elasticsearch.exceptions.ConnectionTimeout",
    }
)  # fmt: skip

USER_ERROR_TYPES: frozenset[str] = frozenset(
    {
        "ValueError", "KeyError", "TypeError", "LookupError", "IndexError", "UnicodeError",
        "UnicodeDecodeError", "UnicodeEncodeError", "AssertionError",
        "json.JSONDecodeError", "json.decoder.JSONDecodeError",
        "pydantic.ValidationError", "pydantic.error_wrappers.ValidationError",
        "pydantic_core.ValidationError", "marshmallow.ValidationError",
        "marshmallow.exceptions.ValidationError", "jsonschema.ValidationError",
        "jsonschema.exceptions.ValidationError", "django.core.exceptions.ValidationError",
        "django.forms.ValidationError", "rest_framework.exceptions.ValidationError",
        "rest_framework.exceptions.ParseError", "werkzeug.exceptions.BadRequest",
        "decimal.InvalidOperation", "binascii.Error", "uuid.UUID",
        "django.core.exceptions.ObjectDoesNotExist", "django.http.Http404",
        "sqlalchemy.exc.NoResultFound", "sqlalchemy.orm.exc.NoResultFound",
    }
)  # fmt: skip

BROAD_TYPES: frozenset[str] = frozenset({"Exception", "BaseException"})

# Errors a framework turns into a response or a usage message for the user, with no traceback:
# an HTTP status page or JSON body, a form or serializer error, a command-line usage line.
# Matched on the qualified name; an entry ending in "." matches every name under that module.
USER_FACING_TYPES: frozenset[str] = frozenset(
    {
        # Django
        "django.core.exceptions.ValidationError", "django.forms.ValidationError",
        "django.core.exceptions.PermissionDenied", "django.core.exceptions.BadRequest",
        "django.core.exceptions.SuspiciousOperation", "django.core.exceptions.DisallowedHost",
        "django.http.Http404", "django.http.response.Http404",
        "django.core.management.CommandError", "django.core.management.base.CommandError",
        "django.http.BadHeaderError", "django.http.UnreadablePostError",
        # Django REST framework: every APIException subclass is rendered as a response
        "rest_framework.exceptions.", "rest_framework.serializers.ValidationError",
        # Starlette / FastAPI
        "starlette.exceptions.HTTPException", "starlette.exceptions.WebSocketException",
        "fastapi.HTTPException", "fastapi.WebSocketException", "fastapi.exceptions.",
        # werkzeug / Flask
        "werkzeug.exceptions.", "flask.abort", "werkzeug.abort",
        # command-line frameworks
        "click.UsageError", "click.BadParameter", "click.BadOptionUsage", "click.BadArgumentUsage",
        "click.MissingParameter", "click.NoSuchOption", "click.ClickException", "click.FileError",
        "click.Abort", "click.exceptions.", "typer.BadParameter", "typer.Exit", "typer.Abort",
        "argparse.ArgumentTypeError", "argparse.ArgumentError",
        # form and schema validation
        "wtforms.ValidationError", "wtforms.validators.ValidationError",
        "wtforms.validators.StopValidation", "marshmallow.ValidationError",
        "marshmallow.exceptions.ValidationError",
    }
)  # fmt: skip


def is_user_facing(qualified: str) -> bool:
    """Whether `qualified` names an error its framework renders to the user without a traceback."""
    if qualified in USER_FACING_TYPES:
        return True
    return any(entry.endswith(".") and qualified.startswith(entry) for entry in USER_FACING_TYPES)


def _matches(name: str, qualified: str, known: Iterable[str]) -> bool:
    for entry in known:
        if qualified == entry or name == entry:
            return True
        if "." in entry and (qualified.endswith("." + entry) or entry.endswith("." + name) and "." in name):
            return True
    return False


def classify(name: str, qualified: str, config: Config) -> Kind:
    """Classify one caught/raised type, `name` as written and `qualified` through imports."""
    broad = BROAD_TYPES | set(config.broad_exceptions)
    if qualified in broad or qualified in {f"builtins.{b}" for b in BROAD_TYPES}:
        return Kind.BROAD
    if _matches(name, qualified, set(config.user_error_exceptions)):
        return Kind.USER_ERROR
    if _matches(name, qualified, set(config.infrastructure_exceptions)):
        return Kind.INFRASTRUCTURE
    if _matches(name, qualified, USER_ERROR_TYPES):
        return Kind.USER_ERROR
    if _matches(name, qualified, INFRASTRUCTURE_TYPES):
        return Kind.INFRASTRUCTURE
    return Kind.OTHER
