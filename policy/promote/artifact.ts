/**
 * The artifact format and its reader live with the provider, which applies them
 * (provider/artifact.ts); promotion writes them. Re-exported here for promote's callers.
 */
export { ARTIFACT_KEY, ArtifactMismatch, checkArtifactSpec, checkStackArtifact, parseArtifactConfig, promoteAgain } from "../../provider/artifact.ts";
