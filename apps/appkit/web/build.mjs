// Copy Swagger UI from swagger-ui-dist into the services' docs assets (served at /docs/assets).
//
//   npm ci && npm run build     writes ../quancheng_appkit/serving/docs_static/vendor/
//   npm run check               fails if those files differ from the installed package's
//
// Copied as published (no rebundling), so the bytes are the pinned release's; the page that
// loads them pins them again with subresource integrity. Nothing is fetched at run time.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "node_modules", "swagger-ui-dist");
const outdir = join(here, "..", "quancheng_appkit", "serving", "docs_static", "vendor");
const FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"];
const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));

if (process.argv.includes("--check")) {
  const stale = FILES.filter(
    (f) => !existsSync(join(outdir, f)) || !readFileSync(join(outdir, f)).equals(readFileSync(join(source, f))),
  );
  if (stale.length) {
    console.error(`${outdir}: ${stale.join(", ")} missing or stale: run npm run build`);
    process.exit(1);
  }
  console.log(`${outdir} is up to date (swagger-ui-dist ${version})`);
} else {
  mkdirSync(outdir, { recursive: true });
  for (const f of FILES) copyFileSync(join(source, f), join(outdir, f));
  console.log(`wrote ${outdir} (swagger-ui-dist ${version}: ${FILES.join(", ")})`);
}
