"""Validates messages against the project's JSON Schema (schema/): sylkRTC-1's in
schema/, sylkRTC-2's in schema/sylkrtc-2/."""

import functools
import json
import pathlib

import jsonschema

SCHEMA_DIR = pathlib.Path(__file__).resolve().parents[2] / "schema"


@functools.lru_cache(maxsize=None)
def validator(name):
    path = SCHEMA_DIR / name
    schema = json.loads(path.read_text())
    resolver = jsonschema.RefResolver(base_uri=path.as_uri(), referrer=schema)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, resolver=resolver)


DIALECT_DIRS = {"sylkRTC-1": "", "sylkRTC-2": "sylkrtc-2/"}


def assert_server_message(message, dialect="sylkRTC-1"):
    validator(DIALECT_DIRS[dialect] + "server-message.json").validate(message)


def assert_client_message(message, dialect="sylkRTC-1"):
    validator(DIALECT_DIRS[dialect] + "client-message.json").validate(message)


def is_valid(name, message):
    return validator(name).is_valid(message)
