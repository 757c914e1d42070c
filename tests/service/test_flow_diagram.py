"""The README's Secure Communities picture is drawn from the code's own states: every system
and every status of the vocabulary is in it, and the fan-out is the code's."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from station.agencies import agency_results
from station.cli import main
from station.core.vocabulary import System, SystemStatus
from station.service.flow import START, FlowEdge, draw_flow, flow_graph
from station.service.secure_communities import FAN_OUT, RESUBMITTABLE


def test_the_graph_has_every_system_and_status_of_the_vocabulary() -> None:
    graph = flow_graph()
    assert set(graph.systems) == set(System)
    assert graph.statuses == tuple(SystemStatus)
    for system in System:
        for status in SystemStatus:
            assert f"{system} {status}" in graph.nodes
    assert FlowEdge(START, "IDENT", "CAR/CNA") in graph.edges
    assert FlowEdge(START, "LESC", "CAR/CNA") not in graph.edges  # LESC gets no prints
    assert FlowEdge("IDENT answered", "LESC", "match: IAQ") in graph.edges
    assert FAN_OUT == {System.IDENT: System.LESC}
    resubmits = [e for e in graph.edges if e.label == "resubmit"]
    assert len(resubmits) == len(System) * len(RESUBMITTABLE)


def test_the_drawing_names_every_system_status_and_answer(tmp_path: Path) -> None:
    out = tmp_path / "flow.png"
    texts = draw_flow(out, dpi=40)
    words = " ".join(texts)
    for system in System:
        assert system.value in words and system.description in words
        for result in agency_results(system):
            assert result in words
    for status in SystemStatus:
        assert sum(t.split("\n")[0] == status.value for t in texts) == len(System)
    with Image.open(out) as image:
        assert image.size == (400, 280)  # 10 x 7 inches at 40 dpi


def test_diagram_command_and_bad_input(tmp_path: Path, capsys) -> None:
    out = tmp_path / "flow.png"
    assert main(["agencies", "diagram", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    assert out.stat().st_size > 10_000
    assert main(["agencies", "diagram", "--out", str(tmp_path / "no" / "f.png")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(ValueError, match="dpi must be a whole number > 0"):
        draw_flow(out, dpi=0)
