// The Blob data plane: a path-style endpoint per storage account that the real
// BlobServiceClient / ContainerClient / BlockBlobClient accept, with RBAC data actions enforced
// as Azure does and content kept durably in the data directory.
export { createBlobService, type BlobService } from './service.js'
export { BLOB_DEFAULTS, type BlobOptions, type BlobServiceOptions } from './options.js'
export { BlobActions, type BlobAction } from './authorize.js'
export { STORAGE_RESOURCE, challenge as blobChallenge } from './authenticate.js'
