/** The name of claimcheck's own check run: published on pull requests, and never counted as CI evidence. */
export const CHECK_RUN_NAME = "Code of Practice evidence";
