"""Test doubles that ship with the package: the OpenShift emulator and stand-ins for ko, docker/podman
and gauge. They are real programs and servers, not mocks: our code meets them over HTTP and argv
exactly as it meets the real ones (DESIGN "What real parts the tests use")."""

from __future__ import annotations
