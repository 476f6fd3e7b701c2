"""The officer-service kit: claims and credit decisions served over HTTP with officer pages.

- :mod:`.settings`: :class:`OfficerSettings`, what each service configures (with its prefix);
- :mod:`.runner`: a case from submission to decision (:class:`CaseRunner`, :class:`CaseKind`);
- :mod:`.grants`: the grant a case is decided under, checked or requested of the owner;
- :mod:`.store`, :mod:`.models`, :mod:`.schemas`: records and the API's answers;
- :mod:`.api`, :mod:`.auth`, :mod:`.pages`, :mod:`.app`: the FastAPI pieces
  (:func:`create_officer_app`);
- :mod:`.errors`: every refusal, with its HTTP status and stable code.
"""
