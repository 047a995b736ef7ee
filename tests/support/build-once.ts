// e2e global setup: build the site once (if stale), as `npm start` would.
import { ensureBuilt } from '../../api/build.ts';

export default function setup() {
  ensureBuilt((line) => console.log(line));
}
