"""泉城链 + 普惠金融: finance-side providers (税务, 人社, 公积金, 水电气, 市场监管) and the
credit service.

- :mod:`quancheng_finance.departments`: the gateway plug-ins of ``jinan.tax``,
  ``jinan.hrss``, ``jinan.hpf``, ``jinan.utilities`` and ``jinan.amr``;
- :mod:`quancheng_finance.credit`: SME and personal credit decisions, the credit service
  and the grant templates a bank requests.
"""
