import nock from "nock";
import { afterEach } from "vitest";

// Nothing a test does may reach the network: GitHub is always nock (or the local simulator).
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);

afterEach(() => {
  nock.cleanAll();
});
