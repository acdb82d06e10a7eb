"""Read, measure, check and price 3D models.

A pure library: it imports nothing of the portal (no web, database, queue or settings).
It takes bytes or a path and plain options, and returns plain data.

What the portal calls
---------------------
In the worker (any format, by content; everything that touches the file runs in a sandboxed
child process with memory, CPU and wall-clock limits)::

    from geometry.sandbox import default_sandbox
    from geometry.pipeline import process_model

    default_sandbox(start=True)                  # once, at worker boot
    report = process_model(path, out_dir)        # -> geometry.pipeline.ModelReport
    report.analysis                              # geometry.model.Analysis: figures + findings
    report.png, report.glb                       # written files (thumbnail.png, model.glb)
    report.thickness_glb, report.thickness       # thickness.glb (vertex colours) and its legend
    report.as_dict()                             # JSON-ready

In the web process, pricing (in-process, no file access)::

    from geometry.pricing import Part, QuoteOptions, quote, default_rate_card
    q = quote(Part.of(analysis), card, QuoteOptions("cnc_milling", "al_6061", quantity=10))

Errors are `geometry.model.GeometryError`: ``code`` (stable), ``params``, ``message``
(English), ``detail`` (English, for logs). Findings are `geometry.model.Finding`: ``code``,
``severity``, ``message``, ``process``, ``params``. Every code, its severity and its English
template are listed in `geometry.codes`; translate by code and format the template of the
page's language with ``params``.

An analysis also lists the file's distinct ``parts`` (name, count, volume, box: an assembly's
products, or bodies grouped by shape) and its ``units`` (declared, or the more plausible reading
of an STL/OBJ, with both readings' sizes). One part becomes a file of its own with
`geometry.extract.extract_part(path, index)`, or in the sandbox with
``sandbox.run("geometry.pipeline:write_part", path, index, out_path)``. ``process_model(...,
units="in")`` reads a mesh's numbers as inches. Findings carry an ``audience``: "staff" for
notes about our own processing, never shown to customers.

Modules
-------
codes (the catalogue), limits (every tolerance and limit), model (plain data), formats
(detection by content), stl / obj / threemf / step (readers), assembly (a STEP file's product
structure), weld / topology / orient / bounds / measure (mesh figures), parts (bodies grouped
into parts), units (millimetres or inches), rays (the quick thin-wall check), thickness (the
wall-thickness map), dfm (rules → findings), analyze (entry points in this process), extract
(one part as a file), pipeline (the sandboxed entry point), sandbox, preview, pricing, cli
(``python -m geometry``), tuning (process settings for the command line and the sandbox),
threads.
"""
