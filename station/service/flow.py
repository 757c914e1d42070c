"""The Secure Communities flow as a picture, drawn from the code's own states.

:func:`flow_graph` walks what the code defines — the systems a booking is sent to
(:data:`~station.service.secure_communities.BIOMETRIC_SYSTEMS`), the fan-out table
(:data:`~station.service.secure_communities.FAN_OUT`), every
:class:`~station.core.vocabulary.SystemStatus`, what each agency answers
(:func:`station.agencies.agency_results`) and the statuses a message is resubmitted from
(:data:`~station.service.secure_communities.RESUBMITTABLE`) — into nodes and edges;
:func:`draw_flow` renders them with matplotlib. A new system, status or fan-out shows in the
picture the next time it is drawn (``station agencies diagram``), so it cannot drift from the
code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from station.agencies import agency_results
from station.core.vocabulary import System, SystemStatus

from .secure_communities import BIOMETRIC_SYSTEMS, FAN_OUT, RESUBMITTABLE

__all__ = ["DEFAULT_DIAGRAM", "START", "FlowEdge", "FlowGraph", "draw_flow", "flow_graph"]

#: Where ``station agencies diagram`` writes the picture (relative to the working folder).
DEFAULT_DIAGRAM = Path("assets/secure_communities_flow.png")
#: The node the flow starts from: the station's own search has responded.
START = "booking responded"


@dataclass(frozen=True)
class FlowEdge:
    """An arrow of the flow: from node, to node, its label."""

    source: str
    target: str
    label: str


@dataclass(frozen=True)
class FlowGraph:
    """The flow's nodes and edges.

    Attributes
    ----------
    systems : tuple of System
        In the order they are drawn (the biometric three, then those they fan out to).
    statuses : tuple of SystemStatus
        Every status a message can have.
    nodes : tuple of str
        ``START``, then ``"<SYSTEM>"`` and ``"<SYSTEM> <status>"`` for each system.
    edges : tuple of FlowEdge
    """

    systems: tuple[System, ...]
    statuses: tuple[SystemStatus, ...]
    nodes: tuple[str, ...]
    edges: tuple[FlowEdge, ...]

    def labels(self) -> tuple[str, ...]:
        """Every text the drawing shows (nodes' texts and edges' labels)."""
        return tuple(_node_text(n, self) for n in self.nodes) + tuple(
            e.label for e in self.edges if e.label
        )


def _node(system: System, status: SystemStatus | None = None) -> str:
    return system.value if status is None else f"{system.value} {status.value}"


def flow_graph() -> FlowGraph:
    """The flow as the code defines it.

    Returns
    -------
    FlowGraph

    Examples
    --------
    >>> graph = flow_graph()
    >>> [s.value for s in graph.systems]
    ['STATE', 'NGI', 'IDENT', 'LESC']
    >>> [e.label for e in graph.edges if e.target == "LESC"]
    ['match: IAQ']
    """
    systems = list(BIOMETRIC_SYSTEMS)
    for source, target in FAN_OUT.items():
        if source in systems and target not in systems:
            systems.append(target)
    statuses = tuple(SystemStatus)
    nodes = [START]
    edges: list[FlowEdge] = []
    for system in BIOMETRIC_SYSTEMS:
        edges.append(FlowEdge(START, _node(system), "CAR/CNA"))
    for system in systems:
        nodes.append(_node(system))
        nodes += [_node(system, status) for status in statuses]
        pending = _node(system, SystemStatus.PENDING)
        edges.append(FlowEdge(_node(system), pending, "sent"))
        for status in statuses:
            if status.final:
                edges.append(FlowEdge(pending, _node(system, status), ""))
        for status in RESUBMITTABLE:
            edges.append(FlowEdge(_node(system, status), pending, "resubmit"))
    for source, target in FAN_OUT.items():
        identified = agency_results(source)[0]
        edges.append(
            FlowEdge(_node(source, SystemStatus.ANSWERED), _node(target), f"{identified}: IAQ")
        )
    return FlowGraph(tuple(systems), statuses, tuple(nodes), tuple(edges))


def _node_text(node: str, graph: FlowGraph) -> str:
    """What a node's box says: the system's name, a status (with the answers it carries)."""
    if node == START:
        return START
    code, _, status = node.partition(" ")
    system = System(code)
    if not status:
        return f"{system.value}\n{system.description}"
    if status == SystemStatus.ANSWERED:
        return f"{status}\n" + " / ".join(agency_results(system))
    if status == SystemStatus.ERROR:
        return f"{status}\n(ERRT)"
    return status


def draw_flow(path: str | Path = DEFAULT_DIAGRAM, *, dpi: int = 100) -> tuple[str, ...]:
    """Render :func:`flow_graph` to a PNG.

    Parameters
    ----------
    path : str or Path
        The image to write (its folder must exist).
    dpi : int
        Resolution; the figure is 10 × 7 inches.

    Returns
    -------
    tuple of str
        Every text drawn (for checks that the picture names every system and status).

    Raises
    ------
    ValueError
        ``dpi`` is not a positive whole number.
    OSError
        The folder does not exist or the file cannot be written.
    """
    if isinstance(dpi, bool) or not isinstance(dpi, int) or dpi <= 0:
        raise ValueError(f"dpi must be a whole number > 0, got {dpi!r}")
    path = Path(path)
    if not path.parent.is_dir():
        raise OSError(f"cannot write {path}: the folder {path.parent} does not exist")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graph = flow_graph()
    # a row per system: start, system, pending, then the final statuses stacked in one
    # column (answered at the bottom, where a fan-out leaves for the next row)
    step = 1.8
    finals = sorted(
        (s for s in graph.statuses if s.final), key=lambda s: s is SystemStatus.ANSWERED
    )
    offsets = {status: 0.5 * (len(finals) - 1) * 0.55 - 0.55 * i for i, status in enumerate(finals)}
    columns = {"start": 0.0, "system": 2.4, "pending": 4.8, "final": 7.6}
    where: dict[str, tuple[float, float]] = {}
    for row, system in enumerate(graph.systems):
        y = -step * row
        where[_node(system)] = (columns["system"], y)
        where[_node(system, SystemStatus.PENDING)] = (columns["pending"], y)
        for status in finals:
            where[_node(system, status)] = (columns["final"], y + offsets[status])
    first = [where[_node(s)][1] for s in BIOMETRIC_SYSTEMS]
    where[START] = (columns["start"], sum(first) / len(first))

    colours = {
        SystemStatus.PENDING: "#eceff1",
        SystemStatus.ANSWERED: "#c8e6c9",
        SystemStatus.ERROR: "#ffcdd2",
        SystemStatus.TIMEOUT: "#ffe0b2",
    }
    fig, ax = plt.subplots(figsize=(10, 7))
    ax.set_axis_off()
    drawn: list[str] = []
    for node in graph.nodes:
        text = _node_text(node, graph)
        status = node.partition(" ")[2]
        if node == START:
            face = "#fff9c4"
        else:
            face = colours[SystemStatus(status)] if status else "#bbdefb"
        x, y = where[node]
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": face, "edgecolor": "#546e7a"},
        )
        drawn.append(text)
    fan_targets = {_node(t) for t in FAN_OUT.values()}
    for edge in graph.edges:
        (x0, y0), (x1, y1) = where[edge.source], where[edge.target]
        back = edge.label == "resubmit"
        fan = edge.target in fan_targets and edge.source != START
        if back:  # from the status's left edge back to pending, below the forward arrows
            start_at, end_at, style = (x0 - 0.9, y0), (x1 + 0.45, y1 - 0.12), "arc3,rad=-0.3"
        elif fan:
            start_at, end_at, style = (x0 - 0.3, y0 - 0.3), (x1 + 0.5, y1 + 0.2), "arc3,rad=0.0"
        else:
            start_at, end_at, style = (x0 + 0.75, y0), (x1 - 0.75, y1), "arc3,rad=0.0"
            if edge.source == START:
                start_at, end_at = (x0 + 0.9, y0), (x1 - 1.0, y1)
        ax.annotate(
            "",
            xy=end_at,
            xytext=start_at,
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#90a4ae" if back else ("#2e7d32" if fan else "#37474f"),
                "linestyle": "--" if back else "-",
                "connectionstyle": style,
                "shrinkA": 2,
                "shrinkB": 2,
            },
        )
        if edge.label and not back:
            mx, my = (start_at[0] + end_at[0]) / 2, (start_at[1] + end_at[1]) / 2
            colour = "#2e7d32" if fan else "black"
            ax.text(mx, my + 0.08, edge.label, ha="center", va="bottom", fontsize=8, color=colour)
            drawn.append(edge.label)
    # one legend line for the resubmit arrows instead of a label on each
    resubmit_from = ", ".join(s.value for s in RESUBMITTABLE)
    note = f"dashed: resubmit ({resubmit_from} → a new pending message; the old one stays)"
    ax.text(columns["start"] - 0.9, -step * (len(graph.systems) - 0.5), note, fontsize=8)
    drawn.append("resubmit")
    title = "Secure Communities: a booking's messages and their states (drawn from the code)"
    ax.set_title(title, fontsize=11)
    ax.set_xlim(columns["start"] - 1.0, columns["final"] + 1.6)
    ax.set_ylim(-step * (len(graph.systems) - 0.4), 0.9)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=dpi)
    finally:
        plt.close(fig)
    return tuple(drawn)
