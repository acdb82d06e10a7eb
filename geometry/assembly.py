"""The parts of a STEP assembly: its product structure, read through OpenCASCADE's XCAF.

A STEP assembly names its products and places instances of them, possibly through
sub-assemblies. The parts are the products that hold geometry (XCAF's simple shapes); each
part's count is the number of its instances in the whole tree (an instance of a
sub-assembly counts every part under it). A product that holds several solids (a multi-body
part, or a file of loose solids without structure) has them grouped by shape
(`geometry.parts`): each group is a part of its own. Products that are the same shape (the
balls of a bearing, each exported as its own product) are then one part, with the first one's
name and their counts added up.

Bad structures give findings, never a hang or a crash: an instance of a product that is not in
the file is left out (``assembly_missing_part``), a reference back to an enclosing assembly is
left out (``assembly_cycle``), unnamed products are numbered (``assembly_unnamed_parts``),
and only `PARTS_MAX` parts are listed. Counting walks each product once, whatever the number
of instances, so 10,000 instances cost no more than ten.

Everything that touches OCP runs in the sandbox child, like the rest of the STEP reading:
`geometry.step.measure_step` reads the file once through `read_step` (the shape it measures
and the structure) and calls `step_parts`; `extract_step_part` writes one part as STEP.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

from geometry.limits import PARTS_MAX
from geometry.model import Finding, GeometryError


@dataclass
class Structure:
    """The result of walking a product structure."""

    leaves: list  # the parts, in the order they first appear
    count: dict  # instances of each part in the whole tree
    missing: int = 0  # references to products not in the file
    cycles: int = 0  # references back to an enclosing assembly


def walk(
    roots: Iterable[Hashable],
    children: Callable[[Hashable], list[Hashable | None]],
    is_part: Callable[[Hashable], bool],
) -> Structure:
    """Count the instances of every part under `roots` (each root is one instance).

    `children(node)`: the products a node places, one entry per instance (None for a
    reference to a product that is not there); `is_part(node)`: a node with geometry of its
    own. Depth-first without recursion; a reference to a node still open on the path is a
    cycle and is dropped. Counts are then pushed down in topological order.
    """
    roots = list(roots)
    kept: dict = {}  # node → the children kept, one entry per instance
    state: dict = {}  # 1: on the path, 2: done
    post: list = []
    leaves: list = []
    missing = cycles = 0
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        kept[root] = []
        stack = [(root, iter(children(root)))]
        if is_part(root):
            leaves.append(root)
        while stack:
            node, pending = stack[-1]
            child = next(pending, _END)
            if child is _END:
                stack.pop()
                state[node] = 2
                post.append(node)
                continue
            if child is None:
                missing += 1
                continue
            if state.get(child) == 1:
                cycles += 1
                continue
            kept[node].append(child)
            if child not in state:
                state[child] = 1
                kept[child] = []
                if is_part(child):
                    leaves.append(child)
                stack.append((child, iter(children(child))))
    count = dict.fromkeys(kept, 0)
    for root in roots:
        count[root] += 1
    for node in reversed(post):  # parents before children
        for child in kept[node]:
            count[child] += count[node]
    return Structure(leaves, {leaf: count[leaf] for leaf in leaves}, missing, cycles)


_END = object()


# --------------------------------------------------------------------------- sandbox side


@dataclass
class StepDocument:
    """A STEP file read once through XCAF: the shape to measure and the product structure."""

    shape: object  # TopoDS_Shape: every free shape (a compound when there are several)
    tool: object  # XCAFDoc_ShapeTool of the document
    doc: object  # the document, kept alive with its tool


@dataclass
class StepParts:
    """What `step_parts` sends back: plain data."""

    entries: list[dict]  # for Analysis.parts
    findings: list[Finding] = field(default_factory=list)


def _read_document(path: str):
    from OCP.IFSelect import IFSelect_RetDone
    from OCP.STEPCAFControl import STEPCAFControl_Reader
    from OCP.TCollection import TCollection_ExtendedString
    from OCP.TDocStd import TDocStd_Document
    from OCP.XCAFDoc import XCAFDoc_DocumentTool

    reader = STEPCAFControl_Reader()
    reader.SetNameMode(True)
    reader.SetColorMode(False)
    reader.SetLayerMode(False)
    if reader.ReadFile(path) != IFSelect_RetDone:
        raise GeometryError("invalid_step", "the product structure could not be read")
    doc = TDocStd_Document(TCollection_ExtendedString("XmlXCAF"))
    if not reader.Transfer(doc):
        raise GeometryError("empty_model", "no STEP product transferred")
    return doc, XCAFDoc_DocumentTool.ShapeTool_s(doc.Main())


def _entry(label) -> str:
    from OCP.TCollection import TCollection_AsciiString
    from OCP.TDF import TDF_Tool

    text = TCollection_AsciiString()
    TDF_Tool.Entry_s(label, text)
    return text.ToCString()


def _name(label) -> str | None:
    from OCP.TDataStd import TDataStd_Name

    attribute = TDataStd_Name()
    if label.FindAttribute(TDataStd_Name.GetID_s(), attribute):
        name = attribute.Get().ToExtString().strip()
        return name or None
    return None


def _structure(tool):
    """(walked Structure, label per entry) of an XCAF document."""
    from OCP.TDF import TDF_Label, TDF_LabelSequence
    from OCP.XCAFDoc import XCAFDoc_ShapeTool

    labels: dict[str, object] = {}

    def key(label) -> str:
        entry = _entry(label)
        labels.setdefault(entry, label)
        return entry

    free = TDF_LabelSequence()
    tool.GetFreeShapes(free)
    roots = [key(free.Value(i)) for i in range(1, free.Length() + 1)]

    def children(entry: str) -> list[str | None]:
        label = labels[entry]
        if not XCAFDoc_ShapeTool.IsAssembly_s(label):
            return []
        components = TDF_LabelSequence()
        XCAFDoc_ShapeTool.GetComponents_s(label, components, False)
        out: list[str | None] = []
        for i in range(1, components.Length() + 1):
            referred = TDF_Label()
            component = components.Value(i)
            if XCAFDoc_ShapeTool.GetReferredShape_s(component, referred) and not referred.IsNull():
                shape = XCAFDoc_ShapeTool.GetShape_s(referred)
                out.append(key(referred) if shape is not None and not shape.IsNull() else None)
            else:
                out.append(None)
        return out

    def is_part(entry: str) -> bool:
        label = labels[entry]
        return not XCAFDoc_ShapeTool.IsAssembly_s(label) and XCAFDoc_ShapeTool.IsSimpleShape_s(label)

    return walk(roots, children, is_part), labels


def _explore(shape, kind, cast) -> list:
    from OCP.TopExp import TopExp_Explorer

    out = []
    explorer = TopExp_Explorer(shape, kind)
    while explorer.More():
        out.append(cast(explorer.Current()))
        explorer.Next()
    return out


def _solid_bodies(shape) -> list:
    """The solids of a product's shape (closed shells made solid), else the shape itself."""
    from OCP.BRep import BRep_Tool
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeSolid
    from OCP.TopAbs import TopAbs_SHELL, TopAbs_SOLID
    from OCP.TopoDS import TopoDS

    solids = _explore(shape, TopAbs_SOLID, TopoDS.Solid_s)
    if not solids:
        for shell in _explore(shape, TopAbs_SHELL, TopoDS.Shell_s):
            if BRep_Tool.IsClosed_s(shell):
                maker = BRepBuilderAPI_MakeSolid(shell)
                if maker.IsDone():
                    solids.append(maker.Solid())
    return solids or [shape]


def _exact_body(solid):
    """`geometry.parts.Body` of a solid, from its exact geometry and its B-rep vertices."""
    import numpy as np
    from OCP.Bnd import Bnd_Box
    from OCP.BRep import BRep_Tool
    from OCP.BRepBndLib import BRepBndLib
    from OCP.BRepGProp import BRepGProp
    from OCP.GProp import GProp_GProps
    from OCP.TopAbs import TopAbs_VERTEX
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopoDS import TopoDS

    from geometry.parts import Body, point_signature

    volume = GProp_GProps()
    BRepGProp.VolumeProperties_s(solid, volume)
    surface = GProp_GProps()
    BRepGProp.SurfaceProperties_s(solid, surface)
    moments = np.sort(np.abs(np.array(volume.PrincipalProperties().Moments())))
    points = []
    explorer = TopExp_Explorer(solid, TopAbs_VERTEX)
    while explorer.More():
        p = BRep_Tool.Pnt_s(TopoDS.Vertex_s(explorer.Current()))
        points.append((p.X(), p.Y(), p.Z()))
        explorer.Next()
    points = np.unique(np.round(np.array(points, dtype=np.float64).reshape(-1, 3), 9), axis=0)
    box = Bnd_Box()
    BRepBndLib.AddOptimal_s(solid, box, False, False)
    extents = [0.0, 0.0, 0.0]
    if not box.IsVoid():
        xmin, ymin, zmin, xmax, ymax, zmax = box.Get()
        extents = [xmax - xmin, ymax - ymin, zmax - zmin]
    profile, hand = point_signature(points) if len(points) else (np.zeros(33), 0)
    body = Body(abs(volume.Mass()), surface.Mass(), moments, profile, hand, max(extents))
    return body, extents


def _parts(tool):
    """[(name, count, volume, extents, solid)] for every distinct part, and findings.

    Each product's solids are grouped by shape; then groups of different products that are
    the same shape (the balls of a bearing, each its own product) become one part, named
    after the first.
    """
    from OCP.XCAFDoc import XCAFDoc_ShapeTool

    from geometry.parts import group_bodies

    walked, labels = _structure(tool)
    candidates = []  # (name, count, Body, extents, solid)
    for leaf in walked.leaves:
        label = labels[leaf]
        solids = _solid_bodies(XCAFDoc_ShapeTool.GetShape_s(label))
        measured = [_exact_body(solid) for solid in solids]
        groups = group_bodies([body for body, _ in measured])
        name = _name(label)
        for k, group in enumerate(groups, start=1):
            body, extents = measured[group.bodies[0]]
            named = f"{name} ({k})" if name and len(groups) > 1 else name
            count = walked.count[leaf] * len(group.bodies)
            candidates.append((named, count, body, extents, solids[group.bodies[0]]))
    found = []
    for group in group_bodies([body for _, _, body, _, _ in candidates]):
        name, _, body, extents, solid = candidates[group.bodies[0]]
        count = sum(candidates[i][1] for i in group.bodies)
        found.append((name, count, body.volume, extents, solid))
    findings = []
    if walked.missing:
        findings.append(Finding.of("assembly_missing_part", count=walked.missing))
    if walked.cycles:
        findings.append(Finding.of("assembly_cycle", count=walked.cycles))
    unnamed = sum(1 for name, *_ in found if name is None)
    if unnamed and len(found) > 1:
        findings.append(Finding.of("assembly_unnamed_parts", count=unnamed))
    if len(found) > PARTS_MAX:
        findings.append(Finding.of("assembly_too_many_parts", limit=PARTS_MAX))
        found = found[:PARTS_MAX]
    return found, findings


def read_step(path: str) -> StepDocument:
    """Read a STEP file once: its whole shape (as `STEPControl_Reader.OneShape` gives it) and its
    product structure (runs in the sandbox child)."""
    doc, tool = _read_document(path)
    shape = tool.GetOneShape()
    if shape is None or shape.IsNull():
        raise GeometryError("empty_model", "a null STEP shape")
    return StepDocument(shape, tool, doc)


def step_parts(document: StepDocument, solids: int, volume_mm3: float, bbox_mm) -> StepParts:
    """The distinct parts of a read STEP file. A file of one solid is one part, named after its
    product, with the whole file's figures (`solids`, `volume_mm3`, `bbox_mm`)."""
    if solids <= 1:
        walked, labels = _structure(document.tool)
        name = _name(labels[walked.leaves[0]]) if walked.leaves else None
        entry = {"name": name, "count": 1, "volume_mm3": float(volume_mm3), "bbox_mm": [float(v) for v in bbox_mm]}
        return StepParts([entry])
    found, findings = _parts(document.tool)
    if not found:
        raise GeometryError("empty_model", "no STEP product with geometry")
    entries = [
        {"name": name, "count": int(count), "volume_mm3": float(volume), "bbox_mm": [float(v) for v in extents]}
        for name, count, volume, extents, _ in found
    ]
    return StepParts(entries, findings)


def extract_step_part(path: str, index: int) -> bytes:
    """One part of a STEP file as a STEP file of its own (runs in the sandbox child)."""
    import tempfile

    from OCP.IFSelect import IFSelect_RetDone
    from OCP.STEPControl import STEPControl_AsIs, STEPControl_Writer

    document = read_step(path)  # kept: its tool's labels live in the document
    found, _ = _parts(document.tool)
    if not 0 <= index < len(found):
        raise GeometryError("bad_part_index", parts=len(found), index=index)
    solid = found[index][4]
    with tempfile.TemporaryDirectory(prefix="step-part-") as tmp:
        out = os.path.join(tmp, "part.step")
        writer = STEPControl_Writer()
        writer.Transfer(solid, STEPControl_AsIs)
        if writer.Write(out) != IFSelect_RetDone:
            raise GeometryError("internal", "the part could not be written as STEP")
        with open(out, "rb") as fh:
            return fh.read()
