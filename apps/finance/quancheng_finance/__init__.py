"""泉城链 + 普惠金融: finance-side providers (税务, 人社, 公积金, 水电气, 市场监管) and the credit service."""
