"""Invalid variants of a request, derived from botocore's DynamoDB model:
required members, length and count limits, patterns, enum values, numeric
ranges and JSON types. A variant is a list of edits; each edit replaces (or
deletes) the value at one path of the request."""

import copy
import json

import botocore.loaders

DELETE = object()
# Longer strings than this are not generated from a max length (e.g.
# AttributeName's 65535), to keep requests small.
LONGEST_GENERATED_STRING = 2048
# Lists and maps longer than this are not generated from a max count.
LONGEST_GENERATED_LIST = 101


def load_shapes(service="dynamodb"):
    """Operations and shapes of botocore's model of `service` (dynamodb or
    dynamodbstreams)."""
    model = botocore.loaders.Loader().load_service_model(service, "service-2")
    return model["operations"], model["shapes"]


class Edit:
    """Replace the value at `path` (a tuple of keys and list positions) by
    `value`, or delete it (DELETE); `key_rename` renames a map key instead."""

    def __init__(self, path, value, label, key_rename=None):
        self.path, self.value, self.label, self.key_rename = path, value, label, key_rename

    def describe(self):
        return f"{'/'.join(map(str, self.path)) or '<root>'}: {self.label}"


def apply_edits(request, edits):
    result = copy.deepcopy(request)
    for edit in edits:
        parent = result
        for step in edit.path[:-1]:
            parent = parent[step]
        last = edit.path[-1]
        if edit.key_rename is not None:
            parent[edit.key_rename] = parent.pop(last)
        elif edit.value is DELETE:
            del parent[last]
        else:
            parent[last] = edit.value
    return result


def overlaps(a, b):
    """Whether one edit's path is a prefix of the other's."""
    shorter = min(len(a.path), len(b.path))
    return a.path[:shorter] == b.path[:shorter]


class Mutator:
    def __init__(self, shapes):
        self.shapes = shapes

    def input_shape(self, operations, operation):
        return operations[operation]["input"]["shape"]

    def edits(self, shape_name, value, path=()):
        """Every single-field invalid edit of `value` (of shape `shape_name`)."""
        shape = self.shapes[shape_name]
        kind = shape["type"]
        found = list(self._wrong_types(kind, path)) if path else []
        if kind == "structure":
            found.extend(self._structure(shape, value, path))
        elif kind == "list":
            found.extend(self._list(shape, value, path))
        elif kind == "map":
            found.extend(self._map(shape, value, path))
        else:
            found.extend(self.scalar_edits(shape, path))
        return found

    def _wrong_types(self, kind, path):
        if kind in ("structure", "map"):
            yield Edit(path, "text", "a string where an object belongs")
        elif kind == "list":
            yield Edit(path, {"a": 1}, "an object where a list belongs")
        elif kind == "string":
            yield Edit(path, 17, "a number where a string belongs")
        elif kind in ("integer", "long"):
            yield Edit(path, "12", "a string where a number belongs")
        elif kind == "boolean":
            yield Edit(path, "yes", "a string where a boolean belongs")

    def _structure(self, shape, value, path):
        if not isinstance(value, dict):
            return
        for member in shape.get("required", []):
            if member in value:
                yield Edit(path + (member,), DELETE, "required member removed")
        for member, spec in shape["members"].items():
            member_shape = spec["shape"]
            if member in value:
                yield from self.edits(member_shape, value[member], path + (member,))
            elif self.shapes[member_shape]["type"] not in ("structure", "list", "map"):
                # An absent optional scalar can still be given an invalid value.
                yield from self.scalar_edits(self.shapes[member_shape], path + (member,))

    def _list(self, shape, value, path):
        if not isinstance(value, list):
            return
        if shape.get("min", 0) >= 1:
            yield Edit(path, [], "empty list")
        maximum = shape.get("max")
        if maximum is not None and maximum < LONGEST_GENERATED_LIST and value:
            yield Edit(path, [copy.deepcopy(value[i % len(value)]) for i in range(maximum + 1)], f"{maximum + 1} entries")
        for position, element in enumerate(value):
            yield from self.edits(shape["member"]["shape"], element, path + (position,))

    def _map(self, shape, value, path):
        if not isinstance(value, dict):
            return
        if shape.get("min", 0) >= 1:
            yield Edit(path, {}, "empty map")
        key_shape = self.shapes[shape["key"]["shape"]]
        for key, element in value.items():
            if key_shape.get("min", 0) >= 1 and len(value) == 1:
                yield Edit(path + (key,), None, "empty key", key_rename="")
            yield from self.edits(shape["value"]["shape"], element, path + (key,))

    def scalar_edits(self, shape, path):
        kind = shape["type"]
        if kind == "string":
            if "enum" in shape:
                yield Edit(path, "NOT_A_MEMBER", "value outside the enum")
                return
            minimum, maximum = shape.get("min", 0), shape.get("max")
            if minimum >= 1:
                yield Edit(path, "a" * (minimum - 1), f"{minimum - 1} characters")
            if maximum is not None and maximum < LONGEST_GENERATED_STRING:
                yield Edit(path, "a" * (maximum + 1), f"{maximum + 1} characters")
            if "pattern" in shape:
                yield Edit(path, "bad name!" + "x" * max(0, minimum - 9), "outside the pattern")
        elif kind in ("integer", "long"):
            if "min" in shape:
                yield Edit(path, shape["min"] - 1, f"{shape['min'] - 1}, below the minimum")
            if "max" in shape:
                yield Edit(path, shape["max"] + 1, f"{shape['max'] + 1}, above the maximum")


def body_of(request):
    return json.dumps(request, separators=(",", ":"), sort_keys=False)
