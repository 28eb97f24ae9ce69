"""The lines pytest prints under its own header: which cluster, what this run builds and deploys."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_streamstress.options import Settings
    from pytest_streamstress.testing.embedded import EmbeddedCluster


def header_lines(settings: Settings, embedded: EmbeddedCluster | None, since_last_run: str) -> list[str]:
    """Every output of an emulated run says EMULATED, from its first lines on."""
    lines = []
    if embedded is not None:
        lines.append(
            "streamstress: EMULATED cluster (built-in OpenShift emulator; not a real cluster)"
            f" at kubeconfig {embedded.kubeconfig}"
        )
    else:
        default = "$KUBECONFIG / ~/.kube/config / in-cluster"
        where = str(settings.kubeconfig) if settings.kubeconfig else default
        lines.append(f"streamstress: cluster from {where}")
    requested = ", ".join(str(r) for r in settings.components) or "all components"
    lines.append(
        f"streamstress: components {requested}; build {'skipped' if settings.skip_build else 'on'};"
        f" deploy {'skipped' if settings.skip_deploy else settings.deploy_strategy};"
        f" results in {settings.results_dir}"
    )
    if since_last_run:
        lines.append(f"streamstress: --since-last-run: {since_last_run}")
    return lines
