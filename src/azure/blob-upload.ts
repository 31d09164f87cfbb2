/**
 * Puts a blob into a container (created when missing). For the demo sandbox and the tests only:
 * restorecheck itself never writes to Blob Storage.
 */
import { BlobServiceClient } from '@azure/storage-blob';

export async function uploadBlob(connectionString: string, container: string, name: string, content: Buffer): Promise<void> {
  const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  await client.createIfNotExists();
  await client.getBlockBlobClient(name).uploadData(content, { blobHTTPHeaders: { blobContentType: 'application/pdf' } });
}
