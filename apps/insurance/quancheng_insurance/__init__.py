"""政保通 / 保医通: insurance-side providers (车管所, 民政/卫健, 医保局) and the claims service."""
