"""政保通 / 保医通: insurance-side providers (车管所, 民政/卫健, 医保局) and the claims service.

- :mod:`quancheng_insurance.departments`: the gateway plug-ins of ``jinan.vmo``,
  ``jinan.civil`` and ``jinan.hsa``;
- :mod:`quancheng_insurance.claims`: motor, life and medical claim decisions, the claims
  service and the grant templates an insurer requests;
- :mod:`quancheng_appkit`: the plug-in and decision kit, shared with
  :mod:`quancheng_finance`.
"""
