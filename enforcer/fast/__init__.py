"""The speed-ups, fenced here, each beside the name of the plain path it must agree with.

Read the plain path to learn what enforcer answers; read this package only to learn how the
engine answers it quickly enough for a million records (``bench/eval_bench.py`` measures it:
one core, under 60 s and 300 MB of RSS for 1M objects). Nothing here decides a verdict, a
message, a subject or a fingerprint; it reuses the plain path's definitions of those.

==========================  ==============================================  ====================================
fast path                   plain path (the definition)                     held equal by
==========================  ==============================================  ====================================
``conditions.selector``     ``Condition.evaluate`` (rules/conditions.py)    tests/scale/test_fast_conditions.py
``conditions.passing``      ``Condition.evaluate``'s evidence when True     tests/scale/test_fast_conditions.py
``findings.subject_of``     ``Subject.of`` / ``subject_fields`` (values)    tests/scale/test_fast_paths.py
``findings.rule_hash``      ``fingerprint`` (model/values.py)               tests/scale/test_fast_paths.py,
                                                                            tests/scale/test_streaming_eval.py
``findings.new_finding``    ``Finding(...)``                                tests/scale/test_fast_paths.py
``build.builder``           the dataclass constructor ``cls(*values)``      tests/scale/test_fast_build.py
==========================  ==============================================  ====================================

``Engine._evaluate`` (engine.py) is where they meet; ``test_fast_paths.py`` also holds its
findings equal, field by field and in order, to a plain evaluator built from the plain column.
"""
