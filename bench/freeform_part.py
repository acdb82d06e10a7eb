"""A freeform bench part: a bumpy ring whose skin is a grid of B-spline patches.

    .venv/bin/python bench/freeform_part.py OUT.step [--patches 32x32] [--spans 3]

One doubly periodic cubic B-spline surface (a torus with bumps, like a moulded handle or a
knob) is cut along its knot lines into a grid of patches; each patch is its own B-spline face
(`Segment` of the surface, so neighbours share their edges exactly), and the faces are sewn
into one closed solid. `--spans` knot spans per patch side set how many poles each face has
(and with it the file's size): 32×32 patches of 2×2 spans is 1,024 faces and 5.8 MB,
20×15 patches of 3×3 spans 300 faces and 2.05 MB.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

RING_RADIUS_MM = 60.0
TUBE_RADIUS_MM = 22.0


def _surface(poles_u: int, poles_v: int, ring_radius: float):
    from OCP.Geom import Geom_BSplineSurface
    from OCP.gp import gp_Pnt
    from OCP.TColgp import TColgp_Array2OfPnt
    from OCP.TColStd import TColStd_Array1OfInteger, TColStd_Array1OfReal

    poles = TColgp_Array2OfPnt(1, poles_u, 1, poles_v)
    for i in range(poles_u):
        u = 2 * math.pi * i / poles_u
        for j in range(poles_v):
            v = 2 * math.pi * j / poles_v
            tube = TUBE_RADIUS_MM * (1 + 0.18 * math.sin(3 * u) * math.cos(2 * v) + 0.08 * math.cos(7 * u + v))
            ring = ring_radius + tube * math.cos(v)
            poles.SetValue(i + 1, j + 1, gp_Pnt(ring * math.cos(u), ring * math.sin(u), 0.8 * tube * math.sin(v)))

    def knots(count: int):
        values, mults = TColStd_Array1OfReal(1, count + 1), TColStd_Array1OfInteger(1, count + 1)
        for k in range(count + 1):
            values.SetValue(k + 1, float(k))
            mults.SetValue(k + 1, 1)
        return values, mults

    uk, um = knots(poles_u)
    vk, vm = knots(poles_v)
    return Geom_BSplineSurface(poles, uk, vk, um, vm, 3, 3, True, True)


def build(
    path: Path, patches_u: int = 32, patches_v: int = 32, spans: int = 2, ring_radius: float = RING_RADIUS_MM
) -> int:
    """Write the part to `path`; returns its number of faces. (A slightly different
    `ring_radius` gives fresh bytes for a benchmark that must not find an earlier analysis.)"""
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeFace, BRepBuilderAPI_MakeSolid, BRepBuilderAPI_Sewing
    from OCP.IFSelect import IFSelect_RetDone
    from OCP.ShapeFix import ShapeFix_Solid
    from OCP.STEPControl import STEPControl_AsIs, STEPControl_Writer
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopoDS import TopoDS

    surface = _surface(patches_u * spans, patches_v * spans, ring_radius)
    sewing = BRepBuilderAPI_Sewing(1e-6)
    for i in range(patches_u):
        for j in range(patches_v):
            patch = surface.Copy()  # a Geom_BSplineSurface (OCP returns the actual type)
            patch.Segment(i * spans, (i + 1) * spans, j * spans, (j + 1) * spans)
            sewing.Add(BRepBuilderAPI_MakeFace(patch, 1e-7).Face())
    sewing.Perform()
    shell = TopoDS.Shell_s(sewing.SewedShape())
    fix = ShapeFix_Solid(BRepBuilderAPI_MakeSolid(shell).Solid())
    fix.Perform()
    solid = fix.Solid()
    writer = STEPControl_Writer()
    writer.Transfer(solid, STEPControl_AsIs)
    if writer.Write(str(path)) != IFSelect_RetDone:
        raise RuntimeError(f"could not write {path}")
    faces, explorer = 0, TopExp_Explorer(solid, TopAbs_FACE)
    while explorer.More():
        faces += 1
        explorer.Next()
    return faces


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default="bench/out/freeform_ring.step")
    parser.add_argument("--patches", default="32x32", help="patches around the ring x around the tube")
    parser.add_argument("--spans", type=int, default=2, help="knot spans per patch side")
    args = parser.parse_args()
    patches_u, patches_v = (int(n) for n in args.patches.lower().split("x"))
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    faces = build(path, patches_u, patches_v, args.spans)
    print(f"{path}: {path.stat().st_size / 1e6:.2f} MB, {faces} faces")
    return 0


if __name__ == "__main__":
    sys.exit(main())
